#include "protocol/gt06/gt06.hpp"
