"""Deployable runtime code for Tandem's Lambda functions."""
