#ifndef B64_H
#define B64_H

#include <stddef.h>

/*
 * Base64 as in RFC 4648, section 4: alphabet A-Z a-z 0-9 + /, padded with '='.
 */

/* Length of the encoding of `len` bytes, not counting the terminating NUL. */
size_t b64_encoded_len(size_t len);

/*
 * Encodes `len` bytes of `src` into `out`, which must have room for
 * b64_encoded_len(len) + 1 chars, and NUL-terminates it.
 * Returns the number of chars written, not counting the NUL.
 * Example: "foob" -> "Zm9vYg==".
 */
size_t b64_encode(const unsigned char *src, size_t len, char *out);

/*
 * Decodes the NUL-terminated string `src` into `out`, which must have room for
 * (strlen(src) / 4) * 3 bytes, and stores the number of bytes in *out_len.
 * The input must be canonical padded base64: its length a multiple of 4, only
 * alphabet chars, '=' only as one or two final pad chars. Whitespace is not allowed.
 * Returns 0 on success and -1 on invalid input (then *out_len is unspecified).
 */
int b64_decode(const char *src, unsigned char *out, size_t *out_len);

#endif
