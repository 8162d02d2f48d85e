"""Faults on demand: the rules (`rules`), their lenient parser (`parsing`) and the rule book the
running emulator consults (`book`). Rules are pure data, decided with the seeded random source.
"""
