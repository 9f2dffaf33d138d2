/* test_jsonw.c: unit tests of src/core/jsonw.c (the one JSON writer) and
 * src/findings/findout.c (a finding's JSON object, written on it). */
#include "dd/findout.h"
#include "dd/jsonw.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

TEST(separators_and_nesting)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_jw_t w;
    dd_jw_init(&w, &b);
    dd_jw_obj(&w);
    dd_jw_key(&w, "a");
    dd_jw_arr(&w);
    dd_jw_int(&w, 1);
    dd_jw_str(&w, "x\"\n\x01");
    dd_jw_null(&w);
    dd_jw_obj(&w);
    dd_jw_end(&w);
    dd_jw_end(&w);
    dd_jw_key(&w, "b");
    dd_jw_bool(&w, true);
    dd_jw_key(&w, "c");
    dd_jw_fixed(&w, 7.25, 1);
    dd_jw_key(&w, "d");
    dd_jw_fixed(&w, NAN, 1);
    dd_jw_key(&w, "e");
    dd_jw_raw(&w, "[1,2]", 5);
    dd_jw_key(&w, "f");
    dd_jw_str(&w, NULL);
    dd_jw_end(&w);
    CHECK_INT(dd_jw_finish(&w), DD_OK);
    CHECK_STR(b.ptr, "{\"a\":[1,\"x\\\"\\n\\u0001\",null,{}],\"b\":true,\"c\":7.2,\"d\":null,\"e\":[1,2],\"f\":null}");
    dd_buf_release(&b);
}

TEST(invalid_utf8_becomes_replacement_char)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_jw_t w;
    dd_jw_init(&w, &b);
    /* a lone continuation byte, an overlong '/', a surrogate, a truncated
     * sequence; valid 2-, 3- and 4-byte sequences are kept */
    dd_jw_str(&w, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x82");
    CHECK_INT(dd_jw_finish(&w), DD_OK);
    json_error_t je;
    json_t *j = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, &je);
    CHECK(j != NULL);
    CHECK(strstr(b.ptr, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c") != NULL);
    CHECK(strstr(b.ptr, "d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\"") != NULL);
    json_decref(j);
    dd_buf_release(&b);
}

TEST(errors_are_sticky)
{
    dd_buf_t b;
    dd_buf_init(&b, 8); /* too small for what follows */
    dd_jw_t w;
    dd_jw_init(&w, &b);
    dd_jw_arr(&w);
    dd_jw_str(&w, "longer than eight bytes");
    dd_jw_end(&w);
    CHECK_INT(dd_jw_finish(&w), DD_ELIMIT);
    dd_buf_release(&b);
    /* misuse: a value where a key belongs, an unclosed object */
    dd_buf_init(&b, 0);
    dd_jw_init(&w, &b);
    dd_jw_obj(&w);
    dd_jw_int(&w, 1);
    dd_jw_key(&w, "k");
    CHECK_INT(dd_jw_finish(&w), DD_EINVAL);
    dd_jw_init(&w, &b);
    dd_jw_obj(&w);
    CHECK_INT(dd_jw_finish(&w), DD_EINVAL);
    dd_jw_init(&w, &b);
    for (int i = 0; i < DD_JW_DEPTH + 2; i++) dd_jw_arr(&w);
    CHECK_INT(dd_jw_finish(&w), DD_ELIMIT);
    dd_buf_release(&b);
}

/* A finding whose text is not valid UTF-8 (a feed's bytes) still makes a
 * valid JSON object, with the fields the API documents. */
TEST(finding_json_is_valid)
{
    dd_finding_t f = {0};
    f.id = "CVE-2024-1";
    f.package = "curl";
    f.version = "7.0";
    f.layer = 1;
    f.description = "bad \xff byte";
    f.cvss_score = 9.8;
    f.has_epss = true;
    f.epss_score = 0.5;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_finding_json(&f, "sha256:aa", &b), DD_OK);
    json_t *j = json_loadb(b.ptr, b.len, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "id")), "CVE-2024-1");
    CHECK_STR(json_string_value(json_object_get(j, "layer")), "sha256:aa");
    CHECK_STR(json_string_value(json_object_get(j, "description")), "bad \xef\xbf\xbd byte");
    CHECK(json_is_null(json_object_get(j, "fixedVersion")));
    CHECK(json_real_value(json_object_get(json_object_get(j, "cvss"), "score")) == 9.8);
    json_decref(j);
    dd_buf_release(&b);
}

TEST_MAIN(RUN(separators_and_nesting); RUN(invalid_utf8_becomes_replacement_char); RUN(errors_are_sticky);
          RUN(finding_json_is_valid))
