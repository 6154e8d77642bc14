#ifndef GRIDSIM_CGSL_SHIM_H
#define GRIDSIM_CGSL_SHIM_H

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

/* GSL publishes its generator types as mutable globals, which Swift 6 rejects as
   unsafe shared state. These accessors hand out the (never mutated) pointers. */
static inline const gsl_rng_type *cgsl_mt19937(void) { return gsl_rng_mt19937; }

#endif
