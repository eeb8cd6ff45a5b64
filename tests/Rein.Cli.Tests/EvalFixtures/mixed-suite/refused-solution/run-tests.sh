#!/bin/bash
test -f page.html
