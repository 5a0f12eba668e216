"""Demo data generator: a French company's ERP exports (customers, invoices and credit notes, lines,
payments, disputes, supporting PDFs, FEC) and the ground truth they were drawn from. Plain Python."""

from demo.generator.generator import EXPORT_FILES, GenerationResult, GeneratorConfig, generate

__all__ = ["EXPORT_FILES", "GenerationResult", "GeneratorConfig", "generate"]
