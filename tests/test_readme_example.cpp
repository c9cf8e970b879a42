// The program README.md shows must compile and run: keep the two in step.
#include <gtest/gtest.h>

#define main readme_main
#include "readme_example.inc"
#undef main

TEST(Readme, ExampleRuns) { EXPECT_EQ(readme_main(), 0); }
