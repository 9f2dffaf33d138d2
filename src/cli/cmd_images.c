/*
 * cmd_images.c: `drydock images` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_images(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'images' is not implemented yet");
}
