int crpctest_placeholder;
