#!/bin/bash
echo hi > greeting.txt
