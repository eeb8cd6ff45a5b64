#include "ringbuf.h"

#include <stdlib.h>

int rb_init(ringbuf *rb, size_t cap)
{
    if (cap == 0)
        return -1;
    rb->data = malloc(cap * sizeof *rb->data);
    if (rb->data == NULL)
        return -1;
    rb->cap = cap;
    rb->head = rb->tail = rb->count = 0;
    return 0;
}

void rb_free(ringbuf *rb)
{
    free(rb->data);
    rb->data = NULL;
    rb->cap = rb->head = rb->tail = rb->count = 0;
}

int rb_push(ringbuf *rb, int value)
{
    if (rb->count == rb->cap)
        return -1;
    rb->data[rb->head] = value;
    rb->head = (rb->head + 1) % rb->cap;
    rb->count++;
    return 0;
}

int rb_pop(ringbuf *rb, int *out)
{
    if (rb->count == 0)
        return -1;
    *out = rb->data[rb->tail];
    rb->tail = (rb->tail + 1) % rb->cap;
    rb->count--;
    return 0;
}

int rb_peek_at(const ringbuf *rb, size_t i, int *out)
{
    if (i >= rb->count)
        return -1;
    *out = rb->data[rb->tail + i];
    return 0;
}

size_t rb_count(const ringbuf *rb)
{
    return rb->count;
}
