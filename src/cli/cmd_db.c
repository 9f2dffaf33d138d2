/*
 * cmd_db.c: `drydock db` (not implemented yet; see the issue list).
 */
#include "cli.h"

int cmd_db(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'db' is not implemented yet");
}
