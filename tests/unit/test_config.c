/*
 * test_config.c: the config key table and its layers: file parsing (with
 * file:line errors), environment and flags, and their precedence.
 */
#include "dd/config.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

TEST(defaults)
{
    dd_config_t c;
    dd_config_init(&c);
    CHECK_STR(c.listen, "127.0.0.1:5000");
    CHECK_STR(c.data_dir, "./drydock-data");
    CHECK_INT(c.manifest_max, 4 << 20);
    CHECK_INT(c.upload_max_age, 86400);
    CHECK_INT(c.threads, 4);
    CHECK(dd_config_finish(&c, NULL) == DD_OK);
    CHECK_STR(c.meta_dsn, "./drydock-data/meta.db");
    CHECK_STR(c.blob_root, "./drydock-data/blobs");
    dd_config_release(&c);
}

TEST(parse_file_text)
{
    dd_config_t c;
    dd_config_init(&c);
    const char *t = "# comment\n"
                    "listen = 0.0.0.0:6000\n"
                    "\n"
                    "data_dir = \"/var/lib/dd # not a comment\"\n"
                    "[server]\n"
                    "threads = 8   # eight\n"
                    "manifest-max = 1m\n"
                    "idle-timeout = 2m\n"
                    "turbo = off\n";
    dd_err_t e;
    CHECK_INT(dd_config_parse(&c, t, strlen(t), "x.conf", &e), DD_OK);
    CHECK_STR(c.listen, "0.0.0.0:6000");
    CHECK_STR(c.data_dir, "/var/lib/dd # not a comment");
    CHECK_INT(c.threads, 8);
    CHECK_INT(c.manifest_max, 1 << 20);
    CHECK_INT(c.idle_timeout, 120);
    CHECK(!c.turbo);
    dd_config_release(&c);
}

TEST(parse_errors_cite_line)
{
    dd_config_t c;
    dd_config_init(&c);
    dd_err_t e;
    const char *t1 = "listen = a:1\n\nbogus = 1\n";
    CHECK_INT(dd_config_parse(&c, t1, strlen(t1), "f.conf", &e), DD_ENOTFOUND);
    CHECK(strstr(e.msg, "f.conf:3:") != NULL);
    const char *t2 = "threads = many\n";
    CHECK_INT(dd_config_parse(&c, t2, strlen(t2), "f.conf", &e), DD_EINVAL);
    CHECK(strstr(e.msg, "f.conf:1:") != NULL);
    const char *t3 = "\nthreads\n";
    CHECK_INT(dd_config_parse(&c, t3, strlen(t3), "f.conf", &e), DD_EINVAL);
    CHECK(strstr(e.msg, "f.conf:2:") != NULL);
    const char *t4 = "listen = \"abc\n";
    CHECK_INT(dd_config_parse(&c, t4, strlen(t4), "f.conf", &e), DD_EINVAL);
    const char *t5 = "threads = 0\n";
    CHECK_INT(dd_config_parse(&c, t5, strlen(t5), "f.conf", &e), DD_EINVAL);
    const char *t6 = "log-level = loud\n";
    CHECK_INT(dd_config_parse(&c, t6, strlen(t6), "f.conf", &e), DD_EINVAL);
    const char *t7 = "[unterminated\n";
    CHECK_INT(dd_config_parse(&c, t7, strlen(t7), "f.conf", &e), DD_EINVAL);
    const char *t8 = "manifest-max = 99999999999999999999g\n";
    CHECK_INT(dd_config_parse(&c, t8, strlen(t8), "f.conf", &e), DD_EINVAL);
    dd_config_release(&c);
}

TEST(precedence)
{
    char path[] = "/tmp/ddcfgXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *t = "listen = 1.1.1.1:1\nthreads = 3\nlog-level = warn\nidle-timeout = 7\n";
    CHECK(write(fd, t, strlen(t)) == (ssize_t)strlen(t));
    close(fd);
    setenv("DRYDOCK_THREADS", "5", 1);
    setenv("DRYDOCK_LOG_LEVEL", "error", 1);
    setenv("DRYDOCK_DATA", "/tmp/from-env", 1);
    char *argv[] = {"--config", path, "--log-level", "debug", "--listen=2.2.2.2:2", "extra", "--unknown", NULL};
    int rest[8], n_rest = 0;
    dd_config_t c;
    dd_err_t e;
    CHECK_INT(dd_config_load(&c, 7, argv, rest, &n_rest, &e), DD_OK);
    CHECK_STR(c.listen, "2.2.2.2:2");        /* flag over file */
    CHECK_INT(c.threads, 5);                  /* env over file */
    CHECK_STR(c.log_level, "debug");         /* flag over env over file */
    CHECK_INT(c.idle_timeout, 7);            /* file over default */
    CHECK_STR(c.data_dir, "/tmp/from-env");
    CHECK_STR(c.meta_dsn, "/tmp/from-env/meta.db");
    CHECK_INT(n_rest, 2);
    CHECK_STR(argv[rest[0]], "extra");
    CHECK_STR(argv[rest[1]], "--unknown");
    dd_config_release(&c);
    setenv("DRYDOCK_THREADS", "zero", 1);
    CHECK_INT(dd_config_load(&c, 0, argv, rest, &n_rest, &e), DD_EINVAL);
    CHECK(strstr(e.msg, "DRYDOCK_THREADS") != NULL);
    dd_config_release(&c);
    unsetenv("DRYDOCK_THREADS");
    unsetenv("DRYDOCK_LOG_LEVEL");
    unsetenv("DRYDOCK_DATA");
    char *argv2[] = {"--threads", NULL};
    CHECK_INT(dd_config_load(&c, 1, argv2, rest, &n_rest, &e), DD_EINVAL);
    dd_config_release(&c);
    char *argv3[] = {"--config", "/nonexistent/x.conf", NULL};
    CHECK(dd_config_load(&c, 2, argv3, rest, &n_rest, &e) != DD_OK);
    dd_config_release(&c);
    unlink(path);
}

TEST_MAIN(RUN(defaults); RUN(parse_file_text); RUN(parse_errors_cite_line); RUN(precedence))
