"""Code shared by every Tandem function: contracts, observability, AWS clients."""
