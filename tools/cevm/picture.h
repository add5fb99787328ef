/*
 * picture.h — drawing the CE address space (picture.c).
 */
#ifndef CEVM_TOOL_PICTURE_H
#define CEVM_TOOL_PICTURE_H

#include <stdio.h>

struct picture;

struct picture *picture_new(void);
void picture_free(struct picture *pic);
/* Read the machine's address space into rows. */
void picture_collect(struct picture *pic);
/* Write the picture as a standalone SVG document, or as a self-contained HTML page. */
void picture_svg(FILE *f, struct picture *pic, const char *title);
void picture_html(FILE *f, struct picture *pic, const char *title);

#endif
