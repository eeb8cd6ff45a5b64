#include "b64.h"

#include <stdio.h>
#include <string.h>

static int failures;

static void check_vector(const char *plain, const char *encoded)
{
    char buf[128];
    unsigned char back[128];
    size_t n = strlen(plain), back_len = 999;
    if (b64_encoded_len(n) != strlen(encoded)) {
        fprintf(stderr, "b64_encoded_len(%zu) = %zu, want %zu\n", n, b64_encoded_len(n), strlen(encoded));
        failures++;
    }
    size_t written = b64_encode((const unsigned char *)plain, n, buf);
    if (written != strlen(encoded) || strcmp(buf, encoded) != 0) {
        fprintf(stderr, "encode(\"%s\") = \"%s\" (%zu), want \"%s\"\n", plain, buf, written, encoded);
        failures++;
    }
    if (b64_decode(encoded, back, &back_len) != 0 || back_len != n || memcmp(back, plain, n) != 0) {
        fprintf(stderr, "decode(\"%s\") failed or gave the wrong bytes\n", encoded);
        failures++;
    }
}

static void check_invalid(const char *encoded)
{
    unsigned char out[128];
    size_t out_len;
    if (b64_decode(encoded, out, &out_len) != -1) {
        fprintf(stderr, "decode(\"%s\") accepted invalid input\n", encoded);
        failures++;
    }
}

int main(void)
{
    /* RFC 4648, section 10. */
    check_vector("", "");
    check_vector("f", "Zg==");
    check_vector("fo", "Zm8=");
    check_vector("foo", "Zm9v");
    check_vector("foob", "Zm9vYg==");
    check_vector("fooba", "Zm9vYmE=");
    check_vector("foobar", "Zm9vYmFy");
    check_vector("any carnal pleasure.", "YW55IGNhcm5hbCBwbGVhc3VyZS4=");

    unsigned char all[256];
    char enc[400];
    unsigned char dec[300];
    size_t dec_len;
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(255 - i);
    b64_encode(all, sizeof all, enc);
    if (b64_decode(enc, dec, &dec_len) != 0 || dec_len != 256 || memcmp(dec, all, 256) != 0) {
        fprintf(stderr, "round trip of all byte values failed\n");
        failures++;
    }
    if (strncmp(enc, "//79/Pv6", 8) != 0) {
        fprintf(stderr, "encoding of 0xff 0xfe ... starts %.8s, want //79/Pv6\n", enc);
        failures++;
    }

    check_invalid("Zg=");      /* length not a multiple of 4 */
    check_invalid("Zg=a");     /* data after padding */
    check_invalid("Z===");     /* too much padding */
    check_invalid("Zm9v\n");   /* whitespace */
    check_invalid("Zm9-");     /* not in the alphabet */
    check_invalid("=m9v");     /* padding first */
    check_invalid("Zh==");     /* non-zero bits under the padding */
    check_invalid("Zg==Zg=="); /* padding in the middle */

    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    puts("all base64 tests passed");
    return 0;
}
