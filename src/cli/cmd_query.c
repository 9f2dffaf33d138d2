/*
 * cmd_query.c: `drydock query` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_query(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'query' is not implemented yet");
}
