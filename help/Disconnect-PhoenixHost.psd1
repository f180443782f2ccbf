@{
    Synopsis    = 'Closes a Phoenix session.'
    Description = 'Disconnect-PhoenixHost closes the SSH connection of the given sessions (the default session when none is given) and forgets them. When the default session is closed, the most recent remaining session becomes the default.'
    Parameters  = @{
        Session = 'The sessions to close. Default: the default session. Takes sessions from the pipeline.'
    }
    Inputs      = @('Phoenix.PowerShell.PhoenixSession')
    Examples    = @(
        @{ Title = 'Close the default session'; Code = 'Disconnect-PhoenixHost'; Remarks = 'Closes the session that cmdlets use by default.' }
        @{ Title = 'Close every session'; Code = 'Get-PhoenixHost | Disconnect-PhoenixHost'; Remarks = 'Closes all open sessions.' }
    )
    Links       = @('Connect-PhoenixHost', 'Get-PhoenixHost')
}
