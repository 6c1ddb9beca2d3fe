/* ASCII character classes, filled once when the module loads. */
#include "scancore.h"

unsigned char WORD[256], HEX[256], DIGIT[256], LOWER[256], UPPER[256], ALPHA[256], CLASS[256];

void init_tables(void) {
    for (int c = 0; c < 256; c++) {
        DIGIT[c] = c >= '0' && c <= '9';
        LOWER[c] = c >= 'a' && c <= 'z';
        UPPER[c] = c >= 'A' && c <= 'Z';
        ALPHA[c] = LOWER[c] || UPPER[c];
        WORD[c] = ALPHA[c] || DIGIT[c] || c == '_';
        HEX[c] = DIGIT[c] || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        CLASS[c] = (WORD[c] ? C_WORD : 0) | (HEX[c] ? C_HEX : 0) | (DIGIT[c] ? C_DIGIT : 0);
    }
}
