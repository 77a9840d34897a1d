"""A notebook with attnlens outputs as HTML that works offline: ``attnlens export``, ``--to attnlens_html``."""

from attnlens.nbexport.exporter import AttnlensHTMLExporter, export_notebook
from attnlens.nbexport.preprocess import AttnlensPreprocessor

__all__ = ["AttnlensHTMLExporter", "AttnlensPreprocessor", "export_notebook"]
