"""Qt-free gateways over the Fishjam and VAPI SDKs, the resilient notifier and the audio engine."""
