"""Media evidence: hashing the exact bytes of collected files (SHA-256 now, perceptual hashes later)."""
