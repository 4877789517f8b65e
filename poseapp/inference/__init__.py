"""Pre-processing, runtimes, decoding and the engine that chains them (torch imported lazily)."""
