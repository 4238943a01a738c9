"""Text embedders: transcripts, subtitles and queries as unit vectors."""
