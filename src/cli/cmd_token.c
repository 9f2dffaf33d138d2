/*
 * cmd_token.c: `drydock token` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_token(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'token' is not implemented yet");
}
