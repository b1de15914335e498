"""Dân biết: cited answers from Công văn 608/UBND-NCPC and the documents around it.

Public API: `KnowledgeBase.open(index_dir, encoder)`, `.ask(question) -> Answer`, `.add_files(paths)`,
`.documents()`, `.remove(doc_id)`; errors `IngestError`, `KnowledgeError`.
"""
from knowledge.base import KnowledgeBase
from knowledge.errors import IndexCorruptError, IngestError, KnowledgeError
from knowledge.models import Answer, DocInfo, IngestReport, Passage, Source

__all__ = [
    "Answer",
    "DocInfo",
    "IndexCorruptError",
    "IngestError",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeError",
    "Passage",
    "Source",
]
