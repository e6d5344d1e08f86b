"""Lambda Runtime API and Invoke API emulator."""
