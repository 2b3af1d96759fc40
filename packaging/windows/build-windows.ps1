# Builds VoicePanel-<version>-setup.exe on Windows (GitHub's windows runner or a developer's PC).
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1
# Needs Python 3.11 on PATH and Inno Setup 6 (winget install JRSoftware.InnoSetup, or choco install innosetup).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$version = (Select-String -Path voicepanel\__init__.py -Pattern '__version__ = "(.+)"').Matches[0].Groups[1].Value

$venv = "packaging\build\venv"
if (-not (Test-Path "$venv\Scripts\python.exe")) { python -m venv $venv }
& "$venv\Scripts\python.exe" -m pip install -q --upgrade pip
$deps = & "$venv\Scripts\python.exe" -c "import tomllib;print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))"
& "$venv\Scripts\python.exe" -m pip install -q "pyinstaller>=6.22,<6.23" @($deps | Where-Object { $_ })
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

& "$venv\Scripts\pyinstaller.exe" --noconfirm --log-level WARN --distpath packaging\build\dist --workpath packaging\build\work packaging\voicepanel.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# PortAudio must be inside (the sounddevice wheel ships it in _sounddevice_data on Windows).
if (-not (Get-ChildItem -Recurse packaging\build\dist\voicepanel -Filter "libportaudio*.dll")) { throw "PortAudio is not in the bundle" }

$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $iscc)) { $iscc = "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" packaging\windows\voicepanel.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Get-ChildItem packaging\dist\VoicePanel-*-setup.exe
