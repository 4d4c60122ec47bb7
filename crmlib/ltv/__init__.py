"""Probabilistic customer lifetime-value models: BG/NBD, Pareto/NBD and Gamma-Gamma."""
