"""Tandem's CDK app: typed config, one thin stack, one construct per capability."""
