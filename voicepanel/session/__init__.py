"""One connected workspace: profile, gateways, live state, journal and local agent. Qt-free."""
