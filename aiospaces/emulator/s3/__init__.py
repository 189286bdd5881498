"""The S3 side of the emulator: presigned POST uploads and presigned GET downloads.

[Storage][aiospaces.emulator.s3.store.Storage] is the object store and its ``/_storage``
routes; the other modules hold S3's error documents, the policy checks and the streaming
multipart parser of an upload.
"""

from aiospaces.emulator.s3.store import CHUNK_SIZE as CHUNK_SIZE
from aiospaces.emulator.s3.store import Storage as Storage
from aiospaces.emulator.s3.store import StoredObject as StoredObject

__all__ = ["CHUNK_SIZE", "Storage", "StoredObject"]
