"""Citation formats as pure functions: references to text, and text to references.

Nothing here touches the database; `kb.services.citations` converts sources to and from the
`Reference` records these functions speak.
"""
