#include "cetest.h"
int main(void){return 0;}
