"""The app shell: settings, the `danvan` command line and the process supervisor."""
