"""Replay: decide stored decision contexts again with candidate rule documents."""
