"""planners: retrieval, reasoning and embodied planning over a memory (the reasoner issue).

Empty in this release: the composition layer (mnemo/) searches the memory directly.
"""
