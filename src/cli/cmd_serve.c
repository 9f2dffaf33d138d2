/*
 * cmd_serve.c: `drydock serve` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'serve' is not implemented yet");
}
