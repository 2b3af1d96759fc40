; Inno Setup 6 script: VoicePanel-<version>-setup.exe, a per-user installer (no admin rights).
;
; Build on Windows after PyInstaller made packaging\build\dist\voicepanel\ (see
; packaging\windows\build-windows.ps1, which runs both):
;   iscc /DAppVersion=0.1.0 packaging\windows\voicepanel.iss
;
; Installs to %LOCALAPPDATA%\Programs\VoicePanel ({autopf} in non administrative mode),
; a Start menu entry (and an optional desktop icon) for the current user, an entry in
; Settings > Apps with an uninstaller that removes every file it installed.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "VoicePanel"
#define AppExe "voicepanel.exe"
#define Root "..\.."

[Setup]
; A fixed AppId: upgrades replace the earlier version instead of installing beside it.
AppId={{5E0F3B7C-2D4A-4C71-9B8E-6A1D2F3C4B5A}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=VoicePanel contributors
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user: never asks for an administrator; everything goes under the user's profile.
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\packaging\dist
OutputBaseFilename=VoicePanel-{#AppVersion}-setup
SetupIconFile={#Root}\resources\voicepanel.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; Closes a running VoicePanel before files are replaced or removed.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\packaging\build\dist\voicepanel\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Voice rooms and assistants, offline sandbox included"
Name: "{autoprograms}\{#AppName} (offline sandbox)"; Filename: "{app}\{#AppExe}"; Parameters: "--sandbox"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "--sandbox"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
