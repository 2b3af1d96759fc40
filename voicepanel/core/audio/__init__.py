"""The local agent's audio engine: devices, ring buffers, resampling, mixing, meters, VAD, WAV."""
