#ifndef GRIDSIM_CSODIUM_SHIM_H
#define GRIDSIM_CSODIUM_SHIM_H

#include <sodium.h>

#endif
