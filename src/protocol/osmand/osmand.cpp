#include "protocol/osmand/osmand.hpp"
