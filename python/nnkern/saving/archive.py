"""Reading members of a `.keras` zip archive in memory, with size limits against hostile archives.

Nothing is extracted to disk; member names are only compared with the fixed names Keras writes, never
used as paths."""
import io
import zipfile

from nnkern.saving.errors import MalformedFileError

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"

# Limits on the uncompressed size of each member. A config is a few KB to a few MB of JSON; the weights
# limit only stops absurd (or lying) headers, real models of any size load.
MAX_MEMBER_BYTES = {CONFIG_FILENAME: 64 << 20, METADATA_FILENAME: 1 << 20, WEIGHTS_FILENAME: 32 << 30}
# Keras stores members uncompressed; a deflated member expanding more than this is a zip bomb.
MAX_COMPRESSION_RATIO = 200
_RATIO_CHECK_FROM_BYTES = 1 << 20


def open_archive(source, what):
    """A ZipFile over a path, bytes or file object; MalformedFileError if it is not a zip archive."""
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(bytes(source))
        return zipfile.ZipFile(source, "r")
    except zipfile.BadZipFile as e:
        raise MalformedFileError(f"{what} is not a valid .keras file: it is not a zip archive "
                                 f"(or it is truncated): {e}") from None
    except (OSError, EOFError) as e:
        raise MalformedFileError(f"{what} could not be read as a .keras zip archive: {e}") from None


def read_member(archive, name, what):
    """The bytes of member `name`, read in memory within MAX_MEMBER_BYTES[name]."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        present = sorted(archive.namelist())[:10]
        raise MalformedFileError(f"{what} is not a valid .keras file: member '{name}' is missing "
                                 f"(the archive holds {present}).") from None
    limit = MAX_MEMBER_BYTES[name]
    if info.file_size > limit:
        raise MalformedFileError(f"{what}: member '{name}' declares {info.file_size} bytes, more than the "
                                 f"limit of {limit} bytes.")
    if info.file_size > _RATIO_CHECK_FROM_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1):
        raise MalformedFileError(f"{what}: member '{name}' expands from {info.compress_size} to "
                                 f"{info.file_size} bytes (ratio above {MAX_COMPRESSION_RATIO}); refusing a "
                                 "likely zip bomb.")
    try:
        with archive.open(info) as member:
            # Read one byte past the declared size: a header that lies about the size is caught here.
            data = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as e:
        raise MalformedFileError(f"{what}: member '{name}' could not be read (truncated or corrupt "
                                 f"archive): {e}") from None
    except Exception as e:  # zlib.error and friends from a corrupt stream
        raise MalformedFileError(f"{what}: member '{name}' could not be decompressed: {e}") from None
    if len(data) != info.file_size:
        raise MalformedFileError(f"{what}: member '{name}' holds {len(data)} bytes but its header declares "
                                 f"{info.file_size}.")
    return data
