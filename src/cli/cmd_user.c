/*
 * cmd_user.c: `drydock user` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_user(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'user' is not implemented yet");
}
