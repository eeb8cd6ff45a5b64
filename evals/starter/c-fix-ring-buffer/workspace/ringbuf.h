#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>

/* A fixed-capacity FIFO of ints. */
typedef struct {
    int *data;
    size_t cap;
    size_t head; /* next slot to write */
    size_t tail; /* oldest element */
    size_t count;
} ringbuf;

int rb_init(ringbuf *rb, size_t cap);       /* 0 on success, -1 if cap is 0 or out of memory */
void rb_free(ringbuf *rb);
int rb_push(ringbuf *rb, int value);        /* 0, or -1 when full */
int rb_pop(ringbuf *rb, int *out);          /* 0, or -1 when empty */
int rb_peek_at(const ringbuf *rb, size_t i, int *out); /* i-th oldest; 0, or -1 if i >= count */
size_t rb_count(const ringbuf *rb);

#endif
