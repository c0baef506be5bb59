#include "vecmath.h"
