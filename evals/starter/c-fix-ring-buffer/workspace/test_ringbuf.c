#include "ringbuf.h"

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static void test_fifo_order(void)
{
    ringbuf rb;
    int v;
    CHECK(rb_init(&rb, 3) == 0);
    CHECK(rb_push(&rb, 1) == 0 && rb_push(&rb, 2) == 0 && rb_push(&rb, 3) == 0);
    CHECK(rb_push(&rb, 4) == -1);
    CHECK(rb_pop(&rb, &v) == 0 && v == 1);
    CHECK(rb_pop(&rb, &v) == 0 && v == 2);
    CHECK(rb_pop(&rb, &v) == 0 && v == 3);
    CHECK(rb_pop(&rb, &v) == -1);
    rb_free(&rb);
}

static void test_peek_without_wrap(void)
{
    ringbuf rb;
    int v;
    CHECK(rb_init(&rb, 4) == 0);
    rb_push(&rb, 10);
    rb_push(&rb, 20);
    CHECK(rb_peek_at(&rb, 0, &v) == 0 && v == 10);
    CHECK(rb_peek_at(&rb, 1, &v) == 0 && v == 20);
    CHECK(rb_peek_at(&rb, 2, &v) == -1);
    CHECK(rb_count(&rb) == 2);
    rb_free(&rb);
}

static void test_peek_after_wrap(void)
{
    ringbuf rb;
    int v;
    CHECK(rb_init(&rb, 3) == 0);
    rb_push(&rb, 1);
    rb_push(&rb, 2);
    rb_push(&rb, 3);
    rb_pop(&rb, &v);
    rb_pop(&rb, &v);
    rb_push(&rb, 4); /* wraps to slot 0 */
    rb_push(&rb, 5);
    CHECK(rb_count(&rb) == 3);
    CHECK(rb_peek_at(&rb, 0, &v) == 0 && v == 3);
    CHECK(rb_peek_at(&rb, 1, &v) == 0 && v == 4);
    CHECK(rb_peek_at(&rb, 2, &v) == 0 && v == 5);
    rb_free(&rb);
}

static void test_init_rejects_zero(void)
{
    ringbuf rb;
    CHECK(rb_init(&rb, 0) == -1);
}

int main(void)
{
    test_fifo_order();
    test_peek_without_wrap();
    test_peek_after_wrap();
    test_init_rejects_zero();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    puts("all ringbuf tests passed");
    return 0;
}
