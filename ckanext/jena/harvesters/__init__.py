"""Harvesters of the Jena portal and the harvest core they share (see README, "Harvesting")."""
