/*
 * cmd_scan.c: `drydock scan` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_scan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'scan' is not implemented yet");
}
