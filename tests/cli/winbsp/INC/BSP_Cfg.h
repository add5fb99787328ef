/* A BSP header whose name differs in case from how the driver includes it. */
#define BSP_LED_PA 0x7F008820
