/*
 * cmd_findings.c: `drydock findings` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_findings(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'findings' is not implemented yet");
}
