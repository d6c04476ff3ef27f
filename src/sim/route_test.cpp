#include "sim/route.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/record.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace fleet::sim {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kSeed = 7;
constexpr int kVehicles = 20;
constexpr auto kHour = 3600;  // one-second samples

// What a test needs from one sample.
struct Sample {
    double lat = 0, lon = 0, speed_kmh = 0, course_deg = 0;
    uint64_t odometer_m = 0, ignition = 0, movement = 0, badge = 0, external_mv = 0, harsh = 0;
    int64_t event_io_id = 0;
};

uint64_t Io(const core::Record& r, uint16_t id) {
    for (const auto& e : r.io) {
        if (e.id == id) return e.value;
    }
    return 0;
}

std::vector<Sample> Drive(const City& city, uint32_t seed, uint64_t index, int seconds) {
    Vehicle v(city, seed, index);
    core::Record r;
    std::vector<Sample> out;
    out.reserve(static_cast<size_t>(seconds));
    for (int t = 0; t < seconds; ++t) {
        v.Advance(1s);
        v.Fill(r, core::TimePoint(std::chrono::seconds(1700000000 + t)));
        Sample s{r.lat, r.lon, r.speed_kmh, r.course_deg};
        s.odometer_m = Io(r, Vehicle::kIoOdometer);
        s.ignition = Io(r, Vehicle::kIoIgnition);
        s.movement = Io(r, Vehicle::kIoMovement);
        s.badge = Io(r, Vehicle::kIoIButton);
        s.external_mv = Io(r, Vehicle::kIoExternalVoltage);
        s.harsh = Io(r, Vehicle::kIoGreenDriving);
        if (const auto* e = core::FindAttribute(r.attributes, "event_io_id"))
            s.event_io_id = std::get<int64_t>(*e);
        out.push_back(s);
    }
    return out;
}

double Radians(double deg) { return deg * std::numbers::pi / 180; }

double HaversineM(double lat0, double lon0, double lat1, double lon1) {
    double dlat = Radians(lat1 - lat0), dlon = Radians(lon1 - lon0);
    double a = std::pow(std::sin(dlat / 2), 2) +
               std::cos(Radians(lat0)) * std::cos(Radians(lat1)) * std::pow(std::sin(dlon / 2), 2);
    return 2 * 6371008.8 * std::asin(std::sqrt(a));
}

double BearingDeg(double lat0, double lon0, double lat1, double lon1) {
    double y = std::sin(Radians(lon1 - lon0)) * std::cos(Radians(lat1));
    double x = std::cos(Radians(lat0)) * std::sin(Radians(lat1)) -
               std::sin(Radians(lat0)) * std::cos(Radians(lat1)) * std::cos(Radians(lon1 - lon0));
    return std::fmod(std::atan2(y, x) * 180 / std::numbers::pi + 360, 360);
}

// Twenty vehicles driven for an hour, sampled every second; computed once for all the tests below.
const std::vector<std::vector<Sample>>& FleetHour() {
    static const City city(kSeed);
    static const auto hours = [] {
        std::vector<std::vector<Sample>> h;
        for (int i = 0; i < kVehicles; ++i)
            h.push_back(Drive(city, kSeed, static_cast<uint64_t>(i), kHour));
        return h;
    }();
    return hours;
}

TEST(FleetHourTest, OdometerGrowsByTheDistanceDriven) {
    int drove = 0;
    for (const auto& h : FleetHour()) {
        double summed = 0;
        for (size_t k = 1; k < h.size(); ++k) {
            ASSERT_GE(h[k].odometer_m, h[k - 1].odometer_m);
            summed += HaversineM(h[k - 1].lat, h[k - 1].lon, h[k].lat, h[k].lon);
        }
        double odometer = static_cast<double>(h.back().odometer_m - h.front().odometer_m);
        if (odometer < 1000) continue;
        ++drove;
        EXPECT_NEAR(summed, odometer, odometer * 0.01);
    }
    EXPECT_GE(drove, kVehicles * 3 / 4);
}

TEST(FleetHourTest, SpeedsArePlausibleAndSometimesRingRoadFast) {
    double fastest = 0;
    for (const auto& h : FleetHour()) {
        for (const auto& s : h) {
            ASSERT_GE(s.speed_kmh, 0);
            ASSERT_LE(s.speed_kmh, 130);
            fastest = std::max(fastest, s.speed_kmh);
        }
    }
    EXPECT_GE(fastest, 75);  // someone took the ring road
}

TEST(FleetHourTest, StaysWithinTenKilometresOfTheCentre) {
    for (const auto& h : FleetHour()) {
        for (const auto& s : h) ASSERT_LT(HaversineM(45.76, 4.83, s.lat, s.lon), 10000);
    }
}

TEST(FleetHourTest, IgnitionOffMeansParked) {
    for (const auto& h : FleetHour()) {
        for (const auto& s : h) {
            if (s.ignition != 0) {
                EXPECT_NE(s.badge, 0u);
                EXPECT_GE(s.external_mv, 13750u);
                EXPECT_LE(s.external_mv, 14200u);
                continue;
            }
            ASSERT_EQ(s.speed_kmh, 0);
            ASSERT_EQ(s.movement, 0u);
            ASSERT_EQ(s.badge, 0u);
            ASSERT_LT(s.external_mv, 12750u);
        }
    }
}

TEST(FleetHourTest, StopsAtLightsAndCyclesIgnition) {
    int ignition_on = 0, ignition_off = 0, stops = 0;
    for (const auto& h : FleetHour()) {
        int cycles = 0;
        for (size_t k = 1; k < h.size(); ++k) {
            if (h[k].ignition != h[k - 1].ignition) {
                ++cycles;
                (h[k].ignition != 0 ? ignition_on : ignition_off)++;
                // The change is reported as an event on the first sample after it.
                EXPECT_EQ(h[k].event_io_id, Vehicle::kIoIgnition);
            }
            if (h[k].ignition != 0 && h[k].speed_kmh == 0 && h[k - 1].speed_kmh > 0) ++stops;
        }
        EXPECT_GE(cycles, 1);
    }
    EXPECT_GE(ignition_on, kVehicles);
    EXPECT_GE(ignition_off, kVehicles);
    EXPECT_GE(stops, kVehicles * 5);
}

TEST(FleetHourTest, CourseFollowsTheHeading) {
    int checked = 0;
    for (const auto& h : FleetHour()) {
        for (size_t k = 1; k < h.size(); ++k) {
            const auto &a = h[k - 1], &b = h[k];
            if (a.speed_kmh < 5 || b.speed_kmh < 5 || a.course_deg != b.course_deg) continue;
            double moved = HaversineM(a.lat, a.lon, b.lat, b.lon);
            if (moved < 3) continue;
            double diff = std::fabs(BearingDeg(a.lat, a.lon, b.lat, b.lon) - b.course_deg);
            ASSERT_LT(std::min(diff, 360 - diff), 1.0);
            ++checked;
        }
    }
    EXPECT_GT(checked, 1000);
}

TEST(FleetHourTest, BrakesHarshlyOnlyRarely) {
    int harsh = 0, samples = 0;
    for (const auto& h : FleetHour()) {
        for (const auto& s : h) {
            ++samples;
            if (s.harsh != 0) {
                EXPECT_EQ(s.harsh, 2u);
                EXPECT_EQ(s.event_io_id, Vehicle::kIoGreenDriving);
                ++harsh;
            }
        }
    }
    EXPECT_GE(harsh, 1);
    EXPECT_LT(harsh, samples / 1000);
}

TEST(VehicleTest, SameSeedSameDrive) {
    City city(kSeed);
    auto a = Drive(city, kSeed, 3, 600);
    auto b = Drive(City(kSeed), kSeed, 3, 600);
    auto other_vehicle = Drive(city, kSeed, 4, 600);
    City other_city(kSeed + 1);
    auto other_seed = Drive(other_city, kSeed + 1, 3, 600);
    ASSERT_EQ(a.size(), b.size());
    bool differs_by_vehicle = false, differs_by_seed = false;
    for (size_t k = 0; k < a.size(); ++k) {
        ASSERT_EQ(a[k].lat, b[k].lat);
        ASSERT_EQ(a[k].lon, b[k].lon);
        ASSERT_EQ(a[k].speed_kmh, b[k].speed_kmh);
        ASSERT_EQ(a[k].odometer_m, b[k].odometer_m);
        ASSERT_EQ(a[k].external_mv, b[k].external_mv);
        differs_by_vehicle |= a[k].lat != other_vehicle[k].lat;
        differs_by_seed |= a[k].lat != other_seed[k].lat;
    }
    EXPECT_TRUE(differs_by_vehicle);
    EXPECT_TRUE(differs_by_seed);
}

TEST(VehicleTest, LongStepsCoverTheSameGround) {
    // A packet of 10 records at a 10 s interval samples every second; one record per 10 s samples
    // every 10 s. Both drive the vehicle through simulated time the same way.
    City city(kSeed);
    Vehicle fine(city, kSeed, 11), coarse(city, kSeed, 11);
    const double start_m = fine.odometer_m();
    for (int t = 0; t < 1800; ++t) fine.Advance(1s);
    for (int t = 0; t < 180; ++t) coarse.Advance(10s);
    const double driven_m = fine.odometer_m() - start_m;
    EXPECT_GT(driven_m, 2000);
    EXPECT_NEAR(coarse.odometer_m() - start_m, driven_m, 0.02 * driven_m);
}

TEST(VehicleTest, FillsTheTeltonikaIoSet) {
    City city(kSeed);
    Vehicle v(city, kSeed, 0);
    core::Record r;
    v.Advance(1s);
    v.Fill(r, core::TimePoint(1700000000000ms));
    for (uint16_t id :
         {Vehicle::kIoIgnition, Vehicle::kIoMovement, Vehicle::kIoGsmSignal,
          Vehicle::kIoExternalVoltage, Vehicle::kIoBatteryVoltage, Vehicle::kIoOdometer,
          Vehicle::kIoIButton, Vehicle::kIoFuelLevel, Vehicle::kIoDtcCount}) {
        EXPECT_TRUE(std::any_of(r.io.begin(), r.io.end(), [id](const auto& e) {
            return e.id == id;
        })) << id;
    }
    EXPECT_TRUE(r.valid);
    EXPECT_GE(r.satellites, 6);
    EXPECT_EQ(r.device_time, core::TimePoint(1700000000000ms));
}

// Generation plus Codec 8E encoding of what the throughput benchmark sends (1,000 devices, 10
// records per packet). Prints the rate; in an optimised build it must reach 100,000 records/s with
// room.
TEST(VehicleTest, GeneratesAndEncodesFastEnough) {
    City city(kSeed);
    std::vector<Vehicle> fleet;
    for (uint64_t i = 0; i < 1000; ++i) fleet.emplace_back(city, kSeed, i);
    std::vector<core::Record> batch(10);
    size_t bytes = 0;
    const int rounds = 20;
    auto t0 = std::chrono::steady_clock::now();
    for (int round = 0; round < rounds; ++round) {
        for (auto& v : fleet) {
            for (auto& r : batch) {
                v.Advance(1s);
                v.Fill(r, core::TimePoint(1700000000000ms));
            }
            bytes +=
                protocol::teltonika::EncodeAvlTcp(protocol::teltonika::Codec::k8Extended, batch)
                    .size();
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double rate = rounds * 1000.0 * 10 / seconds;
    std::printf("generated and encoded %.0f records/s (%.0f bytes per record)\n", rate,
                static_cast<double>(bytes) / (rounds * 1000.0 * 10));
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
    EXPECT_GT(rate, 300000);
#endif
}

}  // namespace
}  // namespace fleet::sim
