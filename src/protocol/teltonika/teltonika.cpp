#include "protocol/teltonika/teltonika.hpp"
